import { serviceConfig } from '../config';

export default serviceConfig('sales');
